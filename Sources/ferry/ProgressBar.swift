import Ferry
import Foundation

/// The progress bar on standard error: drawn for long work's progress
/// events (see ``ProgressLine``) when standard error is a terminal and the
/// output is for people, redrawn in place and cleared when the work ends
/// or before any other line is written, so that it never mixes with them.
/// Work that runs at once (a restore's load beside its pre-restore
/// backup's check) shares the line, each in its part, until it ends.
final class ProgressBar: @unchecked Sendable {
    /// The tool's bar: shown only on a terminal.
    static let shared = ProgressBar(isShown: isatty(STDERR_FILENO) == 1)

    /// Whether the bar is drawn at all.
    let isShown: Bool
    private let lock = NSLock()
    private var isDrawn = false
    /// The latest report of each piece of work running, in the order they started.
    private var running: [WorkProgress] = []

    private init(isShown: Bool) {
        self.isShown = isShown
    }

    /// Draws a progress event's bar, or clears it when its work ended;
    /// other events leave the terminal alone.
    @Sendable func show(_ event: UpgradeEvent) {
        guard isShown, case .progress(let progress) = event else { return }
        lock.withLock {
            if let index = running.firstIndex(where: { $0.task == progress.task }) {
                if progress.isFinished {
                    running.remove(at: index)
                } else {
                    running[index] = progress
                }
            } else if !progress.isFinished {
                running.append(progress)
            }
            guard !running.isEmpty else {
                clearHoldingLock()
                return
            }
            let line = ProgressLine.text(for: running, width: Self.columns())
            write("\r" + line + "\u{1B}[K")
            isDrawn = true
        }
    }

    /// Clears the bar, if one is drawn, before another line is written.
    func clear() {
        guard isShown else { return }
        lock.withLock { clearHoldingLock() }
    }

    private func clearHoldingLock() {
        guard isDrawn else { return }
        write("\r\u{1B}[K")
        isDrawn = false
    }

    private func write(_ text: String) {
        StandardStream.error.write(text)
    }

    /// The terminal's width in columns (80 when it does not say).
    private static func columns() -> Int {
        var size = winsize()
        if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 {
            return Int(size.ws_col)
        }
        return 80
    }
}
