import Foundation

/// Loads a configuration struct from JSON: keys the file leaves out keep their defaults, and a key
/// the struct does not have is an error that names it (a typo must never be silently ignored).
public enum ConfigFile {
    /// `defaults` overlaid with the JSON object in `url`.
    public static func load<T: Codable>(_ defaults: T, from url: URL) throws -> T {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw CircuitFitError("cannot read config \(url.path): \(error.localizedDescription)")
        }
        return try overlay(defaults, json: data, source: url.lastPathComponent)
    }

    /// `defaults` overlaid with a JSON object given as bytes; `source` names it in errors.
    public static func overlay<T: Codable>(_ defaults: T, json: Data, source: String) throws -> T {
        let user: Any
        do { user = try JSONSerialization.jsonObject(with: json) } catch {
            throw CircuitFitError("\(source): not valid JSON (\(error.localizedDescription))")
        }
        guard let userObject = user as? [String: Any] else { throw CircuitFitError("\(source): expected a JSON object at the top level") }
        let base = try JSONSerialization.jsonObject(with: JSONEncoder().encode(defaults)) as! [String: Any]
        let merged = try merge(base, userObject, path: "", source: source)
        do {
            return try JSONDecoder().decode(T.self, from: JSONSerialization.data(withJSONObject: merged))
        } catch let DecodingError.typeMismatch(type, context) {
            throw CircuitFitError("\(source): key '\(context.codingPath.map(\.stringValue).joined(separator: "."))' must be \(type)")
        } catch let DecodingError.dataCorrupted(context) {
            throw CircuitFitError("\(source): key '\(context.codingPath.map(\.stringValue).joined(separator: "."))': \(context.debugDescription)")
        } catch {
            throw CircuitFitError("\(source): \(error)")
        }
    }

    private static func merge(_ base: [String: Any], _ user: [String: Any], path: String, source: String) throws -> [String: Any] {
        var out = base
        for key in user.keys.sorted() {
            let full = path.isEmpty ? key : "\(path).\(key)"
            guard let baseValue = base[key] else {
                let known = base.keys.sorted().joined(separator: ", ")
                throw CircuitFitError("\(source): unknown key '\(full)' (known keys: \(known))")
            }
            if let b = baseValue as? [String: Any], let u = user[key] as? [String: Any] {
                out[key] = try merge(b, u, path: full, source: source)
            } else {
                out[key] = user[key]
            }
        }
        return out
    }
}
