import XCTest
@testable import CircuitFitCore
@testable import CircuitFitModel
@testable import CircuitFitAnalysis
@testable import CircuitFitImport
@testable import CircuitFitReport
@testable import CircuitFitCircuit
@testable import CircuitFitFitting
@testable import CircuitFitExperiment

/// The Slurm backend without a cluster: job scripts, task batches, what `scontrol` prints, and
/// how `status` reads the scheduler's answers. (SlurmIntegrationTests runs a real cluster.)
final class SlurmBackendTests: XCTestCase {
    func tinyConfig() -> ExperimentConfig {
        var c = ExperimentConfig()
        c.seeds = [1, 2, 3]
        c.recordCounts = [0, 3, 5]
        c.lambdas = [0, 1]
        c.arms = [.plain]
        return c
    }

    func testIndexListsAndScontrolRecords() {
        XCTAssertEqual(compressIndices([0, 1, 2, 5, 7, 8]), "0-2,5,7-8")
        XCTAssertEqual(compressIndices([3]), "3")
        XCTAssertEqual(compressIndices([4, 3, 3]), "3-4")
        XCTAssertEqual(SlurmJobRecord.parseIndices("1-2,4%1"), [1, 2, 4])
        XCTAssertEqual(SlurmJobRecord.parseIndices("0-6:3"), [0, 3, 6])
        XCTAssertEqual(SlurmJobRecord.parseIndices("7"), [7])

        let failed = SlurmJobRecord(line: "JobId=4 ArrayJobId=1 ArrayTaskId=1 JobName=cf-x-fits UserId=root(0) JobState=FAILED Reason=NonZeroExitCode Dependency=(null) ExitCode=3:0 RunTime=00:00:02")!
        XCTAssertEqual(failed.jobID, "4"); XCTAssertEqual(failed.arrayJobID, "1"); XCTAssertEqual(failed.arrayTasks, [1])
        XCTAssertEqual(failed.state, .failed); XCTAssertEqual(failed.exitStatus, 3); XCTAssertFalse(failed.isActive)
        XCTAssertEqual(failed.summary, "FAILED, exit code 3")
        let pending = SlurmJobRecord(line: "JobId=1 ArrayJobId=1 ArrayTaskId=1-2,4%1 ArrayTaskThrottle=1 JobState=PENDING Reason=JobArrayTaskLimit ExitCode=0:0")!
        XCTAssertEqual(pending.arrayTasks, [1, 2, 4]); XCTAssertTrue(pending.isActive); XCTAssertFalse(pending.isRunning)
        XCTAssertEqual(pending.summary, "PENDING (JobArrayTaskLimit)")
        let cancelled = SlurmJobRecord(line: "JobId=7 ArrayJobId=6 ArrayTaskId=0 JobState=CANCELLED Reason=None ExitCode=0:15")!
        XCTAssertEqual(cancelled.summary, "CANCELLED, signal 15")
        XCTAssertNil(SlurmJobRecord(line: "slurm_load_jobs error: Invalid job id specified"))
    }

    func testBatchesCoverThePlanOnceInOrder() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("slurm-batches-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let folder = try ExperimentFolder.preview(dir, config: tinyConfig()).folder
        let units = folder.config.units
        XCTAssertEqual(units.count, 3 * (1 + 2))
        for k in [1, 2, 4, 9, 20] {
            let count = ExperimentFolder.taskCount(units: units.count, fitsPerTask: k)
            let covered = try (0..<count).flatMap { try folder.units(task: $0, fitsPerTask: k) }
            XCTAssertEqual(covered, units, "fits-per-task \(k)")
            XCTAssertEqual(folder.unfinishedTasks(fitsPerTask: k), Array(0..<count))
            XCTAssertThrowsError(try folder.units(task: count, fitsPerTask: k))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.path), "preview must write nothing")
    }

    func testJobScripts() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("slurm-scripts-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let folder = try ExperimentFolder.preview(dir, config: tinyConfig()).folder
        var o = SlurmOptions()
        o.partition = "cpu"; o.time = "1:00:00"; o.mem = "2G"; o.cpusPerTask = 2; o.maxConcurrent = 4
        o.sbatchArgs = ["--account=lab", "--qos=normal"]; o.fitsPerTask = 2
        let plan = try folder.slurmPlan(options: o, executable: "/opt/cf/circuitfit", commandLine: "circuitfit experiment", number: 1)
        XCTAssertEqual(plan.jobs.map(\.role), [.circuits, .fits, .collect])
        XCTAssertEqual(plan.fitsToRun, 9); XCTAssertEqual(plan.circuitsToGenerate, 3)
        let circuits = plan.jobs[0], fits = plan.jobs[1], collect = plan.jobs[2]
        XCTAssertEqual(circuits.tasks, [0, 1, 2]); XCTAssertNil(circuits.after)
        XCTAssertEqual(fits.tasks, [0, 1, 2, 3, 4]); XCTAssertEqual(fits.after, .circuits)
        XCTAssertEqual(collect.after, .fits)
        for line in ["#SBATCH --array=0-4%4", "#SBATCH --partition=cpu", "#SBATCH --time=1:00:00", "#SBATCH --mem=2G",
                     "#SBATCH --cpus-per-task=2", "#SBATCH --account=lab", "#SBATCH --qos=normal",
                     "#SBATCH --output=\(dir.path)/slurm/logs/fits-%A_%a.out", "export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1",
                     "exec /opt/cf/circuitfit experiment-task \(dir.path) --fits-per-task 2 --task \"$SLURM_ARRAY_TASK_ID\""] {
            XCTAssert(fits.text.contains(line + "\n"), "fits script lacks \(line):\n\(fits.text)")
        }
        XCTAssert(circuits.text.contains("#SBATCH --array=0-2%4\n"))
        XCTAssert(circuits.text.contains("experiment-task \(dir.path) --circuit \"$SLURM_ARRAY_TASK_ID\""))
        XCTAssertFalse(collect.text.contains("--array"))
        XCTAssert(collect.text.contains("experiment-collect \(dir.path) --submission 1\n"))
        XCTAssertEqual(plan.sbatchArguments(collect, ids: [.fits: "42"], folder: dir),
                       ["--parsable", "--dependency=afterany:42", dir.appendingPathComponent("slurm/collect-1.sbatch").path])

        o.fitsPerTask = 0
        XCTAssertThrowsError(try folder.slurmPlan(options: o, executable: "x", commandLine: "", number: 1))
        o.fitsPerTask = 1; o.sbatchArgs = ["account=lab"]
        XCTAssertThrowsError(try folder.slurmPlan(options: o, executable: "x", commandLine: "", number: 1))
    }

    /// A scheduler that answers from a table.
    struct FakeScheduler: SlurmScheduler {
        var jobs: [String: [String]]
        func records(job: String) throws -> [SlurmJobRecord]? {
            jobs[job].map { $0.compactMap(SlurmJobRecord.init(line:)) }
        }
    }

    /// `status` combines files (done, error.txt) with the scheduler (running, pending, how a task ended).
    func testProgressCombinesFilesAndScheduler() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("slurm-progress-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        var config = tinyConfig()
        config.seeds = [1, 2]
        config.audit = false   // the hand-written rows below carry no audit numbers
        let folder = try ExperimentFolder.open(dir, config: config).folder
        let units = config.units  // 6 fits: tasks 0…5
        // fit 0 done; fit 1 raised (error.txt + FAILED); 2 running; 3 pending; 4 cancelled before it started;
        // 5 killed while running (CANCELLED by signal)
        try FileManager.default.createDirectory(at: folder.fitFolder(units[0]), withIntermediateDirectories: true)
        let rows = try units[0].recordCounts.map { try goldenRow(unit: units[0], record: $0) }
        try AtomicFile.write(OutputFolder.json(UnitResult(unit: units[0], rows: rows)), to: folder.fitFolder(units[0]).appendingPathComponent("result.json"))
        try FileManager.default.createDirectory(at: folder.fitFolder(units[1]), withIntermediateDirectories: true)
        try AtomicFile.writeText("bad input\n", to: folder.fitFolder(units[1]).appendingPathComponent("error.txt"))
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("slurm/logs"), withIntermediateDirectories: true)
        try AtomicFile.writeText("start\nerror: fit x: bad input\n1 of 1 fit(s) of task 1 failed\n\n", to: dir.appendingPathComponent("slurm/logs/fits-10_1.out"))
        var jobs = SlurmJobsFile()
        jobs.submissions = [SlurmSubmission(
            number: 1, submitted: "2026-01-01T00:00:00Z", commandLine: "x", executable: "x", options: SlurmOptions(),
            circuits: nil,
            fits: SlurmJobRecordRef(jobID: "10", script: "slurm/fits-1.sbatch", log: "slurm/logs/fits-%A_%a.out", tasks: Array(0..<6), sbatch: ""),
            collect: SlurmJobRecordRef(jobID: "11", script: "slurm/collect-1.sbatch", log: "slurm/logs/collect-%j.out", tasks: [], sbatch: ""))]
        try jobs.save(dir)
        let scheduler = FakeScheduler(jobs: [
            "10": ["JobId=10 ArrayJobId=10 ArrayTaskId=3%2 JobState=PENDING Reason=JobArrayTaskLimit ExitCode=0:0",
                   "JobId=12 ArrayJobId=10 ArrayTaskId=0 JobState=COMPLETED Reason=None ExitCode=0:0",
                   "JobId=13 ArrayJobId=10 ArrayTaskId=1 JobState=FAILED Reason=NonZeroExitCode ExitCode=3:0",
                   "JobId=14 ArrayJobId=10 ArrayTaskId=2 JobState=RUNNING Reason=None ExitCode=0:0",
                   "JobId=15 ArrayJobId=10 ArrayTaskId=5 JobState=CANCELLED Reason=None ExitCode=0:15"],
            "11": ["JobId=11 JobState=PENDING Reason=Dependency ExitCode=0:0"],
        ])
        let p = try folder.progress(scheduler: scheduler)
        XCTAssertEqual(p.fits.map(\.state), [.done, .failed, .running, .pending, .failed, .failed])
        XCTAssertEqual(p.fits[1].scheduler, "task 1 of job 10: FAILED, exit code 3")
        XCTAssertEqual(p.fits[1].error, "bad input")
        XCTAssertEqual(p.fits[1].log, "slurm/logs/fits-10_1.out")
        XCTAssertEqual(p.fits[1].logTail.last, "1 of 1 fit(s) of task 1 failed")
        XCTAssertEqual(p.fits[3].scheduler, "task 3 of job 10: PENDING (JobArrayTaskLimit)")
        XCTAssert(p.fits[4].scheduler?.contains("cancelled before it started") == true)
        XCTAssertEqual(p.fits[5].scheduler, "task 5 of job 10: CANCELLED, signal 15")
        XCTAssertEqual(p.collect, "collect job 11: PENDING (Dependency)")
        XCTAssertEqual(p.activeJobs, ["10 (fits)", "11 (collect)"])

        // the scheduler has forgotten the jobs: files alone decide
        let forgotten = try folder.progress(scheduler: FakeScheduler(jobs: [:]))
        XCTAssertEqual(forgotten.fits.map(\.state), [.done, .failed, .missing, .missing, .missing, .missing])
        XCTAssert(forgotten.activeJobs.isEmpty)
    }
}
