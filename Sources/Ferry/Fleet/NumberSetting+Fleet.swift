extension NumberSetting {
    /// `[fleet] parallel`, `FERRY_PARALLEL`, `--parallel`: how many
    /// databases a fleet run works on at once.
    public static let fleetParallel = NumberSetting(
        section: "fleet", key: "parallel", environmentVariable: "FERRY_PARALLEL", minimum: 1,
        maximum: 1024, isWhole: true, unit: "databases", note: "each one holds a connection")

    /// `[fleet] canary`, `FERRY_CANARY`, `--canary`: how many databases go
    /// first, before any other is touched.
    public static let fleetCanary = NumberSetting(
        section: "fleet", key: "canary", environmentVariable: "FERRY_CANARY", minimum: 0,
        maximum: 1_000_000, isWhole: true, unit: "databases", note: "")
}
