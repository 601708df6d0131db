import Foundation
import XCTest

/// The layers stay one-way: every `import` of a CircuitFit module in a target's sources is one of
/// that target's dependencies in Package.swift, those dependencies are exactly the ones the table
/// in docs/method.md § Code layout allows, and every one of them is a lower row of that table
/// (so the graph has no cycle). An upward import fails here, and in the build.
final class LayeringTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Target name → the CircuitFit targets it depends on, from Package.swift.
    static func packageDependencies() throws -> [String: Set<String>] {
        var text = try String(contentsOf: repository.appendingPathComponent("Package.swift"), encoding: .utf8)
        // the `let core: Target.Dependency = "CircuitFitCore"` shorthand
        if let m = text.range(of: #"let (\w+): Target\.Dependency = "(\w+)""#, options: .regularExpression) {
            let decl = String(text[m])
            let parts = decl.components(separatedBy: "\"")
            let name = decl.split(separator: " ")[1].replacingOccurrences(of: ":", with: "")
            text = text.replacingOccurrences(of: #"\b\#(name)\b(?=[,\]])"#, with: "\"\(parts[1])\"", options: .regularExpression)
        }
        var out: [String: Set<String>] = [:]
        let scanner = text as NSString
        let pattern = try NSRegularExpression(pattern: #"\.(?:target|executableTarget|testTarget)\(\s*name:\s*"([\w-]+)"(?:,\s*dependencies:\s*\[)?"#)
        for match in pattern.matches(in: text, range: NSRange(location: 0, length: scanner.length)) {
            let name = scanner.substring(with: match.range(at: 1))
            var deps: Set<String> = []
            let matched = scanner.substring(with: match.range)
            if matched.hasSuffix("[") {
                // the dependency list up to its closing bracket
                var depth = 1, i = match.range.location + match.range.length
                var list = ""
                while depth > 0 && i < scanner.length {
                    let c = scanner.substring(with: NSRange(location: i, length: 1))
                    if c == "[" || c == "(" { depth += 1 } else if c == "]" || c == ")" { depth -= 1 }
                    if depth > 0 { list += c }
                    i += 1
                }
                // drop `.product(name: …, package: …)` entries: external packages
                let own = list.replacingOccurrences(of: #"\.product\([^)]*\)"#, with: "", options: .regularExpression)
                for lit in own.components(separatedBy: "\"").enumerated() where lit.offset % 2 == 1 && lit.element.hasPrefix("CircuitFit") {
                    deps.insert(lit.element)
                }
            }
            out[name] = deps
        }
        return out
    }

    /// The rows of docs/method.md § Code layout, bottom layer first: (target, allowed imports).
    static func documentedLayers() throws -> [(target: String, allowed: Set<String>)] {
        let text = try String(contentsOf: repository.appendingPathComponent("docs/method.md"), encoding: .utf8)
        guard let start = text.range(of: "## Code layout") else { return [] }
        var rows: [(String, Set<String>)] = []
        for line in text[start.upperBound...].split(separator: "\n") {
            if line.hasPrefix("## ") { break }
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 4, cells[1].hasPrefix("`") else { continue }
            let target = cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            let allowed = cells[cells.count - 2].components(separatedBy: "`").enumerated()
                .filter { $0.offset % 2 == 1 }.map(\.element)
            rows.append((target, Set(allowed)))
        }
        return rows
    }

    /// Target name → the CircuitFit modules its sources import.
    static func sourceImports() throws -> [String: [String: Set<String>]] {
        var out: [String: [String: Set<String>]] = [:]
        let fm = FileManager.default
        var folders: [(String, URL)] = try fm.contentsOfDirectory(atPath: repository.appendingPathComponent("Sources").path)
            .map { ($0, repository.appendingPathComponent("Sources/\($0)")) }
        folders.append(("CircuitFitTests", repository.appendingPathComponent("Tests/CircuitFitTests")))
        for (target, folder) in folders {
            guard let files = fm.enumerator(atPath: folder.path) else { continue }
            var imports: [String: Set<String>] = [:]
            for case let file as String in files where file.hasSuffix(".swift") {
                let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
                for line in text.split(separator: "\n") {
                    let words = line.split(separator: " ").map(String.init)
                    guard let i = words.firstIndex(of: "import"), i + 1 < words.count,
                          words[..<i].allSatisfy({ $0.hasPrefix("@") }) else { continue }
                    let module = words[i + 1]
                    if module.hasPrefix("CircuitFit") { imports[module, default: []].insert(file) }
                }
            }
            out[target] = imports
        }
        return out
    }

    func testImportsFollowThePackageAndThePackageFollowsTheDocumentedLayers() throws {
        let package = try Self.packageDependencies()
        let layers = try Self.documentedLayers()
        XCTAssertGreaterThanOrEqual(layers.count, 9, "docs/method.md § Code layout lists the targets")
        let rank = Dictionary(uniqueKeysWithValues: layers.enumerated().map { ($0.element.target, $0.offset) })

        for (target, deps) in package {
            guard let row = layers.first(where: { $0.target == target }) else {
                XCTFail("\(target) is in Package.swift but not in docs/method.md § Code layout"); continue
            }
            XCTAssertEqual(deps, row.allowed, "\(target): Package.swift's dependencies differ from docs/method.md § Code layout")
            for dep in deps {
                guard let r = rank[dep], let own = rank[target] else { XCTFail("\(dep) is not a documented layer"); continue }
                XCTAssertLessThan(r, own, "\(target) depends on \(dep), which is not a lower layer")
            }
        }
        for row in layers where package[row.target] == nil {
            XCTFail("docs/method.md § Code layout lists \(row.target), which Package.swift does not have")
        }
        for (target, imports) in try Self.sourceImports() {
            guard let allowed = package[target] else { continue }
            for (module, files) in imports where module != target && !allowed.contains(module) {
                XCTFail("\(target) imports \(module) (in \(files.sorted().joined(separator: ", "))), which is not among its dependencies \(allowed.sorted()): an upward or undeclared import")
            }
        }
    }
}
