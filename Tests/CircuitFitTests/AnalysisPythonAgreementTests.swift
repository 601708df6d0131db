import Foundation
import XCTest
@testable import CircuitFitCore
@testable import CircuitFitModel
@testable import CircuitFitAnalysis
@testable import CircuitFitImport
@testable import CircuitFitReport
@testable import CircuitFitCircuit
@testable import CircuitFitFitting
@testable import CircuitFitExperiment

/// The analysis metrics agree to 1e-6 with independent computations in Python (NumPy/SciPy, and
/// scikit-learn's CCA when it can be imported or pip-installed) on a fixture drawn from SeededRandom.
final class AnalysisPythonAgreementTests: XCTestCase {
    func testCCAAndProcrustesAgreeWithPython() throws {
        try PythonReference.requireNumPy(scipy: true)
        let (model, circuit) = AnalysisFixture.populations()
        let cca = try CCA(components: 10).fit(model, circuit)
        let procrustes = try Procrustes(components: 10).fit(model, circuit)
        XCTAssertEqual(cca.componentsX, 10); XCTAssertEqual(cca.componentsY, 10)
        // The NumPy reference goes another way than the library: PCA by eigh of the covariance,
        // CCA by whitening the cross-covariance with Cholesky factors, Procrustes by scipy.
        let useSklearn = PythonReference.scikitLearnAvailable
        if !useSklearn {
            print("note: scikit-learn could not be imported or installed; comparing CCA with the NumPy reference only")
        }
        let script = """
            import scipy.linalg
            X, Y = load('model'), load('circuit')
            def pc_scores(A, k):
                A = A - A.mean(0)
                w, V = np.linalg.eigh(A.T @ A)
                order = np.argsort(w)[::-1][:k]
                return A @ V[:, order]
            Sx, Sy = pc_scores(X, 10), pc_scores(Y, 10)
            Lx = np.linalg.cholesky(Sx.T @ Sx); Ly = np.linalg.cholesky(Sy.T @ Sy)
            M = np.linalg.solve(Lx, Sx.T @ Sy) @ np.linalg.inv(Ly).T
            rho = np.clip(np.linalg.svd(M, compute_uv=False), 0, 1)
            out = {'cca': rho.tolist()}
            def unit(A):
                A = A - A.mean(0)
                return A / np.linalg.norm(A)
            A, B = unit(Sx), unit(Sy)
            R, _ = scipy.linalg.orthogonal_procrustes(B, A)
            out['distance'] = float(np.linalg.norm(A - B @ R))
            out['angular'] = float(np.arccos(min(1.0, np.linalg.svd(A.T @ B, compute_uv=False).sum())))
            if \(useSklearn ? "True" : "False"):
                from sklearn.cross_decomposition import CCA
                c = CCA(n_components=10, max_iter=100000, tol=1e-14).fit(Sx, Sy)
                u, v = c.transform(Sx, Sy)
                out['sklearn'] = sorted([abs(float(np.corrcoef(u[:, i], v[:, i])[0, 1])) for i in range(10)], reverse=True)
            print(json.dumps(out))
            """
        let ref = try PythonReference.evaluate(script, arrays: [
            "model": PythonReference.matrix(model), "circuit": PythonReference.matrix(circuit),
        ])
        let numpyCCA = PythonReference.doubles(ref["cca"])
        XCTAssertEqual(numpyCCA.count, 10)
        for (a, b) in zip(cca.correlations, numpyCCA) { XCTAssertEqual(a, b, accuracy: 1e-8) }
        // The fixture must not be trivial: the correlations spread out.
        XCTAssertGreaterThan(cca.correlations[0] - cca.correlations[9], 0.3)
        if useSklearn {
            let sk = PythonReference.doubles(ref["sklearn"])
            XCTAssertEqual(sk.count, 10)
            for (a, b) in zip(cca.correlations, sk) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        }
        XCTAssertEqual(procrustes.distance, PythonReference.doubles(ref["distance"]).first ?? .nan, accuracy: 1e-8)
        XCTAssertEqual(procrustes.angularDistance, PythonReference.doubles(ref["angular"]).first ?? .nan, accuracy: 1e-8)
    }

    func testHeldOutR2PCAAndSummariesAgreeWithNumPy() throws {
        try PythonReference.requireNumPy()
        let (model, circuit) = AnalysisFixture.populations(seed: 77)
        let train = model.rows(0..<180), test = model.rows(180..<240)
        let trainY = circuit.rows(0..<180), testY = circuit.rows(180..<240)
        let fixed = try HeldOutNeuronR2(ridge: 0.5).score(
            trainingRates: train, trainingNeurons: trainY, heldOutRates: test, heldOutNeurons: testY)
        let standard = try HeldOutNeuronR2().score(
            trainingRates: train, trainingNeurons: trainY, heldOutRates: test, heldOutNeurons: testY)
        let pca = try PCA(components: 5).fit(circuit)
        let sample = Array(circuit.data.prefix(37))
        let summary = try SampleSummary(sample)
        let nmse = try normalizedMSE(predicted: model.columns(Array(0..<8)), target: circuit.columns(Array(0..<8)))
        let script = """
            X, Y = load('model'), load('circuit')
            Xtr, Xte, Ytr, Yte = X[:180], X[180:], Y[:180], Y[180:]
            def r2(lam_rule):
                mx, my = Xtr.mean(0), Ytr.mean(0)
                Xc, Yc = Xtr - mx, Ytr - my
                lam = lam_rule(Xc)
                W = np.linalg.solve(Xc.T @ Xc + lam * np.eye(X.shape[1]), Xc.T @ Yc)
                P = (Xte - mx) @ W + my
                sse = ((Yte - P) ** 2).sum(0); sst = ((Yte - Yte.mean(0)) ** 2).sum(0)
                return [float(1 - sse.sum() / sst.sum()), float(np.mean(1 - sse / sst)), float(lam)]
            out = {'fixed': r2(lambda Xc: 0.5), 'standard': r2(lambda Xc: 1e-2 * np.trace(Xc.T @ Xc) / Xc.shape[1])}
            C = np.cov(Y, rowvar=False)
            w = np.sort(np.linalg.eigvalsh(C))[::-1]
            out['variance'] = w[:5].tolist(); out['ratio'] = (w[:5] / w.sum()).tolist()
            s = load('sample')
            out['summary'] = [float(np.median(s)), float(np.percentile(s, 25)), float(np.percentile(s, 75)), float(np.percentile(s, 10))]
            Z, T = X[:, :8], Y[:, :8]
            out['nmse'] = float(((Z - T) ** 2).sum() / ((T - T.mean(0)) ** 2).sum())
            print(json.dumps(out))
            """
        let ref = try PythonReference.evaluate(script, arrays: [
            "model": PythonReference.matrix(model), "circuit": PythonReference.matrix(circuit),
            "sample": PythonReference.vector(sample),
        ])
        for (result, key) in [(fixed, "fixed"), (standard, "standard")] {
            let r = PythonReference.doubles(ref[key])
            XCTAssertEqual(r.count, 3)
            XCTAssertEqual(result.pooledR2, r[0], accuracy: 1e-8, key)
            XCTAssertEqual(result.meanNeuronR2, r[1], accuracy: 1e-8, key)
            XCTAssertEqual(result.penalty, r[2], accuracy: 1e-8 * max(1, r[2]), key)
        }
        XCTAssertGreaterThan(fixed.pooledR2, 0.3)   // the model rates carry the latents
        for (a, b) in zip(pca.explainedVariance, PythonReference.doubles(ref["variance"])) { XCTAssertEqual(a, b, accuracy: 1e-8 * b) }
        for (a, b) in zip(pca.explainedVarianceRatio, PythonReference.doubles(ref["ratio"])) { XCTAssertEqual(a, b, accuracy: 1e-10) }
        let s = PythonReference.doubles(ref["summary"])
        XCTAssertEqual(summary.median, s[0], accuracy: 1e-12)
        XCTAssertEqual(summary.lowerQuartile, s[1], accuracy: 1e-12)
        XCTAssertEqual(summary.upperQuartile, s[2], accuracy: 1e-12)
        XCTAssertEqual(try percentile(sample, 10), s[3], accuracy: 1e-12)
        XCTAssertEqual(nmse, PythonReference.doubles(ref["nmse"]).first ?? .nan, accuracy: 1e-10)
    }
}
