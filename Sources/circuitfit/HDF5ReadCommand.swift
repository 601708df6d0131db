import ArgumentParser
import Foundation
import CircuitFitCore
import CircuitFitImport

/// The child process of `import` for HDF5-based recordings (hidden): reads the recording with
/// libhdf5 and writes it into a folder for the parent (`HDF5Isolation`). If libhdf5 crashes on a
/// damaged file, only this process dies, and `import` reports it as one line.
struct HDF5ReadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hdf5-read",
        abstract: "Read an NWB or MAT v7.3 recording for `import` (run by import itself).",
        shouldDisplay: false)

    @Argument(help: "The recording (.nwb or .mat v7.3).")
    var file: String
    @Option(help: "Folder to write the recording into (recording.npz, recording.json).")
    var result: String
    @Option(help: "The import options as JSON (written by import).")
    var options: String

    func run() throws {
        try reportingErrors {
            try HDF5Isolation.childMain(file: URL(fileURLWithPath: file), options: URL(fileURLWithPath: options), result: URL(fileURLWithPath: result))
        }
    }
}
