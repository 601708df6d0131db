import CircuitFitCore

/// An NWB `OptogeneticSeries` as read (docs/recordings.md § Perturbation trials): the applied
/// light power in W (`data` × conversion + offset; [samples] or [samples, sites]) with its sample
/// times, and its `OptogeneticStimulusSite` in words. Which units the light acts on is not in the
/// file (NWB has no standard unit-to-site map): it comes from a column or option.
public struct OptogeneticRecord: Sendable, Equatable {
    public var series: BehaviorSeries
    /// The site: "description …; location …; excitation 473 nm" (what the file says).
    public var site: String

    public init(series: BehaviorSeries, site: String) {
        self.series = series; self.site = site
    }

    /// One run of samples where any site's power is nonzero: from its first nonzero sample to
    /// the first zero sample after it (the last sample's time plus one sample interval when the
    /// series ends lit), with the mean power over its samples (W).
    struct Interval: Equatable {
        var startS: Double
        var stopS: Double
        var powerSumW: Double
        var samples: Int
    }

    /// The series' stimulus intervals, in time order.
    func intervals() -> [Interval] {
        let s = series, width = s.channels
        var result: [Interval] = []
        var open: Interval? = nil
        for i in 0..<s.sampleCount {
            let row = s.values[(i * width)..<((i + 1) * width)]
            let lit = row.contains { $0 != 0 && !$0.isNaN }
            let power = row.reduce(0) { $0 + ($1.isNaN ? 0 : $1) } / Double(width)
            if lit {
                if open == nil { open = Interval(startS: s.time(of: i), stopS: s.time(of: i), powerSumW: 0, samples: 0) }
                open!.powerSumW += power; open!.samples += 1
            } else if var run = open {
                run.stopS = s.time(of: i)
                result.append(run); open = nil
            }
        }
        if var run = open {
            let n = s.sampleCount
            let step: Double
            switch s.times {
            case .regular(_, let rate): step = 1 / rate
            case .timestamps(let t): step = n >= 2 ? t[n - 1] - t[n - 2] : 0
            }
            run.stopS = s.time(of: n - 1) + step
            result.append(run)
        }
        return result
    }
}

extension NWBReader {
    /// The OptogeneticSeries `name` ("auto" = the file's only one; a name; or a path with "/"),
    /// searched under /acquisition and /stimulus by its `neurodata_type`.
    static func readOptogeneticSeries(named name: String, in file: HDF5File) throws -> OptogeneticRecord {
        let path = file.url.path
        let all = optogeneticSeriesPaths(in: file)
        let listed = all.isEmpty ? "none" : all.joined(separator: ", ")
        let location: String
        if name.contains("/") {
            location = name.hasPrefix("/") ? name : "/" + name
            guard all.contains(location) else {
                throw CircuitFitError("\(path): no OptogeneticSeries at \(location); the file's OptogeneticSeries are: \(listed)")
            }
        } else if name == "auto" {
            guard all.count == 1 else {
                throw CircuitFitError("\(path): --optogenetic-series auto needs exactly one OptogeneticSeries under /acquisition or /stimulus, the file has: \(listed) (name one)")
            }
            location = all[0]
        } else {
            let matches = all.filter { $0.split(separator: "/").last.map(String.init) == name }
            guard matches.count == 1 else {
                throw CircuitFitError("\(path): \(matches.isEmpty ? "no" : "\(matches.count)") OptogeneticSeries named '\(name)' under /acquisition or /stimulus; the file's OptogeneticSeries are: \(listed)\(matches.count > 1 ? " (give the full path)" : "")")
            }
            location = matches[0]
        }
        var series = try readTimeSeries(named: location, in: file)
        series.name = name
        var parts: [String] = []
        let site = location + "/site"
        if file.kind(of: site) == .group {
            for field in ["description", "location"] where file.kind(of: "\(site)/\(field)") == .dataset {
                if let text = try? file.readStrings("\(site)/\(field)").values.first { parts.append("\(field) \(text)") }
            }
            if file.kind(of: "\(site)/excitation_lambda") == .dataset, let nm = try? file.readDoubles("\(site)/excitation_lambda").values.first {
                parts.append("excitation \(nm) nm")
            }
        }
        return OptogeneticRecord(series: series, site: parts.isEmpty ? "no OptogeneticStimulusSite found at \(site)" : parts.joined(separator: "; "))
    }

    /// Paths of the groups under /acquisition and /stimulus whose `neurodata_type` is
    /// OptogeneticSeries (six levels deep at most).
    static func optogeneticSeriesPaths(in file: HDF5File) -> [String] {
        groupPaths(in: file, under: ["/acquisition", "/stimulus"]) {
            (try? file.stringAttribute("neurodata_type", of: $0)) == "OptogeneticSeries"
        }
    }

    /// The values of the units-table column `name`, one per unit (numbers, or booleans as pynwb
    /// writes them: an HDF5 enumeration read as 0/1; e.g. opto-tagged).
    static func readUnitsColumn(_ name: String, in file: HDF5File, units: Int) throws -> [Double] {
        let path = file.url.path, column = "/units/\(name)"
        guard file.kind(of: column) == .dataset else {
            let members = (try? file.members(of: "/units")) ?? []
            throw CircuitFitError("\(path): the units table has no column '\(name)' (--perturbed-units-column); it has: \(members.joined(separator: ", "))")
        }
        let values: HDF5File.Values<Double>
        do { values = try file.readDoublesOrEnumeration(column) } catch let error as CircuitFitError {
            throw CircuitFitError("\(error.message) (--perturbed-units-column needs numbers, e.g. 1 for the units the light acts on and 0 elsewhere)")
        }
        guard values.shape == [units] else {
            throw CircuitFitError("\(path): \(column) has shape \(values.shape), expected [\(units)] (one value per unit)")
        }
        return values.values
    }
}
