import Foundation

/// The memory a command may use, and the check every command makes from its shapes before it
/// allocates: "generate --neurons 100000 needs about 80 GB; this machine has 23 GB available".
///
/// The budget is the smallest of: the machine's `MemAvailable` (/proc/meminfo), the room left
/// under this process's cgroup memory limit (v2 `memory.max`, v1 `memory.limit_in_bytes`, minus
/// the usage that cannot be reclaimed), and `CIRCUITFIT_MEMORY_LIMIT` when set (bytes, or with a
/// K/M/G/T suffix: a cap for shared machines and for tests). Estimates are "about": they count the
/// large arrays a command holds at once, not every small allocation.
public struct MemoryBudget: Sendable, Equatable {
    /// Bytes this process may allocate.
    public var availableBytes: Int
    /// What limits it, for messages: "this machine has 23 GB available".
    public var description: String

    public init(availableBytes: Int, description: String) {
        self.availableBytes = max(0, availableBytes)
        self.description = description
    }

    /// The budget now (read afresh on every call: it is cheap and memory changes).
    public static var current: MemoryBudget {
        var budget = MemoryBudget(availableBytes: Int.max, description: "no memory limit is known")
        if let machine = machineAvailableBytes() {
            budget = MemoryBudget(availableBytes: machine, description: "this machine has \(format(machine)) available")
        }
        if let group = cgroupAvailableBytes(), group < budget.availableBytes {
            budget = MemoryBudget(availableBytes: group, description: "this process's memory limit (cgroup) leaves \(format(group))")
        }
        if let text = ProcessInfo.processInfo.environment["CIRCUITFIT_MEMORY_LIMIT"], let cap = parseSize(text), cap < budget.availableBytes {
            budget = MemoryBudget(availableBytes: cap, description: "CIRCUITFIT_MEMORY_LIMIT allows \(format(cap))")
        }
        return budget
    }

    /// Below this many bytes the check is skipped (it reads /proc and /sys: not worth it for the
    /// many small files an experiment reads).
    public static let checkThreshold = 64 << 20

    /// `current.require(bytes, for:)` for sizes of at least `checkThreshold`.
    public static func requireIfLarge(_ bytes: Int, for what: @autoclosure () -> String) throws {
        guard bytes >= checkThreshold else { return }
        try current.require(bytes, for: what())
    }

    /// Whether `bytes` fit.
    public func allows(_ bytes: Int) -> Bool { bytes <= availableBytes }

    /// Throws "`what` needs about X; this machine has Y available" unless `bytes` fit.
    public func require(_ bytes: Int, for what: String) throws {
        guard allows(bytes) else {
            let size = bytes == Int.max ? Self.format(bytes) : "about " + Self.format(bytes)
            throw CircuitFitError("\(what) needs \(size); \(description)")
        }
    }

    /// "80 GB", "1.5 GB", "640 MB", "12 KB" (powers of 1000, as people read them); "more than
    /// 9 EB" for a saturated estimate.
    public static func format(_ bytes: Int) -> String {
        if bytes == Int.max { return "more than 9 EB" }
        let units: [(Double, String)] = [(1e18, "EB"), (1e15, "PB"), (1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "KB")]
        let value = Double(bytes)
        for (scale, name) in units where value >= scale {
            let x = value / scale
            return (x < 10 ? String(format: "%.1f", x) : String(format: "%.0f", x)) + " " + name
        }
        return "\(bytes) bytes"
    }

    /// "2G", "512M", "1.5T", "1000000" → bytes; nil when not a size.
    public static func parseSize(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased()
        let multipliers: [Character: Double] = ["K": 0x1p10, "M": 0x1p20, "G": 0x1p30, "T": 0x1p40]
        var number = Substring(trimmed)
        var multiplier = 1.0
        if let last = number.last, let m = multipliers[last] {
            multiplier = m
            number = number.dropLast()
        }
        guard let value = Double(number), value.isFinite, value >= 0 else { return nil }
        let bytes = value * multiplier
        return bytes < 0x1p62 ? Int(bytes) : nil
    }

    // MARK: Reading the machine

    /// MemAvailable from /proc/meminfo, in bytes.
    static func machineAvailableBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let fields = line.split(separator: " ")
            if fields.count >= 2, let kb = Int(fields[1]) { return kb.multipliedReportingOverflow(by: 1024).partialValue }
        }
        return nil
    }

    /// Room left under the cgroup memory limit of this process, or nil when there is no limit.
    static func cgroupAvailableBytes() -> Int? {
        guard let membership = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8) else { return nil }
        func number(_ path: String) -> Int? {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
            return Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        func statValue(_ path: String, _ key: String) -> Int {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return 0 }
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: " ")
                if fields.count == 2, fields[0] == key, let value = Int(fields[1]) { return value }
            }
            return 0
        }
        var folders: [(String, String, String, String)] = []  // limit, usage, stat, reclaimable key
        for line in membership.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            let path = String(parts[2])
            if parts[0] == "0" && parts[1].isEmpty {
                for base in ["/sys/fs/cgroup" + path, "/sys/fs/cgroup"] {
                    folders.append((base + "/memory.max", base + "/memory.current", base + "/memory.stat", "inactive_file"))
                }
            } else if parts[1].split(separator: ",").contains("memory") {
                for base in ["/sys/fs/cgroup/memory" + path, "/sys/fs/cgroup/memory"] {
                    folders.append((base + "/memory.limit_in_bytes", base + "/memory.usage_in_bytes", base + "/memory.stat", "total_inactive_file"))
                }
            }
        }
        for (limitPath, usagePath, statPath, key) in folders {
            guard let limit = number(limitPath) else { continue }  // "max" (v2, no limit) is not a number
            guard limit < 1 << 60 else { return nil }              // v1 writes a huge number for "no limit"
            let usage = number(usagePath) ?? 0
            let reclaimable = statValue(statPath, key)
            return max(0, limit - max(0, usage - reclaimable))
        }
        return nil
    }
}

/// Overflow-safe arithmetic for memory estimates: a product or sum that would overflow, or that
/// has a negative term, saturates at `Int.max` (which no budget allows), so a size such as
/// `--neurons 3000000000` gives "needs more than 9 EB" instead of a wrapped, small number.
public enum MemorySize {
    /// The product of `factors`; `Int.max` on overflow or a negative factor (0 if any factor is 0).
    public static func product(_ factors: Int...) -> Int { product(factors) }

    public static func product(_ factors: [Int]) -> Int {
        if factors.contains(where: { $0 < 0 }) { return Int.max }
        if factors.contains(0) { return 0 }
        var result = 1
        for factor in factors {
            let (next, overflow) = result.multipliedReportingOverflow(by: factor)
            if overflow { return Int.max }
            result = next
        }
        return result
    }

    /// The sum of `terms`; `Int.max` on overflow or a negative term.
    public static func sum(_ terms: Int...) -> Int { sum(terms) }

    public static func sum(_ terms: [Int]) -> Int {
        var result = 0
        for term in terms {
            if term < 0 { return Int.max }
            let (next, overflow) = result.addingReportingOverflow(term)
            if overflow { return Int.max }
            result = next
        }
        return result
    }
}
