import circuitfit as cf
from conftest import NEURONS


def test_experiment_runs_and_reads_back(tmp_path) -> None:
    exp = cf.experiment(tmp_path / "exp", seeds=2, record=[0, 3], lam=[0, 1], arms=["plain"], jobs=2,
                        iterations=30, neurons=NEURONS, hidden=10, progress=False)
    assert exp.plan["seeds"] == [1, 2] or exp.plan["seeds"] == 2
    rows = exp.results
    assert {(r["seed"], r["record"], r["lambda"]) for r in rows} == {
        (s, m, lam) for s in (1, 2) for m, lam in ((0, 0), (3, 0), (3, 1))}
    assert all(r["arm"] == "plain" and r["iterations_run"] == 30 for r in rows)
    assert {c["id"] for c in exp.claims["claims"]} >= {"1"}
    assert exp.report.is_file()
    assert len(exp.fit_ids) == 4  # per seed: one λ = 0 fit (scored for every M) and one λ = 1, M = 3 fit
    fit = exp.fit("s1-plain-l1-m3")
    assert fit.J.shape == (10, 10)
    assert fit.dataset.path == exp.path / "circuits" / "seed-1" / "dataset.npz"
    assert fit.rates.shape == (16, 120, 10)
    assert exp.status().splitlines()[0].startswith(f"experiment {exp.path}: 4 fits — 4 done")
    # running it again resumes: nothing to do, same results
    again = cf.experiment(tmp_path / "exp", resume=True, progress=False)
    assert [r["cca_mean"] for r in again.results] == [r["cca_mean"] for r in rows]
