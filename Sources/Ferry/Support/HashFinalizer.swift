/// MurmurHash3's 64-bit finalizer: spreads a hash's bits so that every bit
/// of the result depends on every bit of the hash. It is a bijection (two
/// hashes never give one result), so sums of finalized hashes (the
/// history's fingerprint, the integrity check's row fingerprints) change
/// whenever one hash does, and similar hashes do not cancel out. Inlined
/// where it is used: the integrity check calls it once per row.
@inlinable
package func finalizedHash(_ hash: UInt64) -> UInt64 {
    var hash = hash
    hash ^= hash >> 33
    hash &*= 0xff51_afd7_ed55_8ccd
    hash ^= hash >> 33
    hash &*= 0xc4ce_b9fe_1a85_ec53
    hash ^= hash >> 33
    return hash
}
