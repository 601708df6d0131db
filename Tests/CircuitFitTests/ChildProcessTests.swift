import Foundation
import XCTest
import CircuitFitTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The test-support runner of child processes, on /bin/sh one-liners with known behaviour.
final class ChildProcessTests: XCTestCase {
    func testStatusAndBothStreamsComeBackSeparately() throws {
        let r = try ChildProcess("/bin/sh", ["-c", "echo out; echo err >&2; exit 3"]).run()
        XCTAssertEqual(r.status, 3)
        XCTAssertNil(r.signal)
        XCTAssertFalse(r.succeeded)
        XCTAssertFalse(r.timedOut)
        XCTAssertEqual(r.stdout, "out\n")
        XCTAssertEqual(r.stderr, "err\n")
    }

    func testMergedStreamsKeepTheOrderWritten() throws {
        let r = try ChildProcess("/bin/sh", ["-c", "echo 1; echo 2 >&2; echo 3"], mergeStandardError: true).run()
        XCTAssertTrue(r.succeeded)
        XCTAssertEqual(r.stdout, "1\n2\n3\n")
        XCTAssertEqual(r.stderr, "")
    }

    func testStandardInputEnvironmentAndFolderReachTheChild() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cf-child-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = Data((0..<200_000).map { "line \($0)\n" }.joined().utf8)   // more than a pipe holds
        let r = try ChildProcess("/bin/sh", ["-c", "cat; echo \"$CF_CHILD_TEST\"; pwd -P"],
                                 environment: ["CF_CHILD_TEST": "x y", "PATH": "/usr/bin:/bin"],
                                 directory: folder, standardInput: input).run()
        XCTAssertTrue(r.succeeded, r.stderr)
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, 200_000 + 3)
        XCTAssertEqual(Data(lines.prefix(200_000).map { $0 + "\n" }.joined().utf8), input)
        XCTAssertEqual(lines[200_000], "x y")
        XCTAssertEqual(String(lines[200_001]), folder.resolvingSymlinksInPath().path)
    }

    func testABareNameIsFoundOnPath() throws {
        let r = try ChildProcess("sh", ["-c", "echo found"]).run()
        XCTAssertEqual(r.stdout, "found\n")
    }

    func testTimeoutStopsTheChild() throws {
        let started = Date()
        let r = try ChildProcess("/bin/sh", ["-c", "echo started; exec sleep 30"]).run(timeout: 0.5)
        XCTAssertTrue(r.timedOut)
        XCTAssertEqual(r.signal, SIGTERM)
        XCTAssertEqual(r.status, 128 + SIGTERM)
        XCTAssertEqual(r.stdout, "started\n", "output written before the timeout is kept")
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
    }

    func testAStartedChildCanBeWatchedAndKilled() throws {
        let child = try ChildProcess("/bin/sh", ["-c", "exec sleep 30"]).start()
        XCTAssertTrue(child.isRunning)
        XCTAssertGreaterThan(child.pid, 0)
        child.signal(SIGKILL)
        let r = child.wait()
        XCTAssertFalse(child.isRunning)
        XCTAssertEqual(r.signal, SIGKILL)
        XCTAssertEqual(r.status, 128 + SIGKILL)
        XCTAssertFalse(r.timedOut)
        XCTAssertEqual(child.wait().signal, SIGKILL, "waiting again gives the same result")
    }

    func testAMissingExecutableIsAnErrorNamingIt() {
        XCTAssertThrowsError(try ChildProcess("/nonexistent/cf-no-such-tool", ["x"]).run()) { error in
            XCTAssert("\(error)".contains("/nonexistent/cf-no-such-tool"), "\(error)")
        }
    }
}
