/// The minimum-cost perfect matching of an n × n cost matrix (Hungarian algorithm, O(n³)):
/// `assignment[i]` is the column matched to row i.
func minimumCostAssignment(_ cost: [[Double]]) -> [Int] {
    let n = cost.count
    if n == 0 { return [] }
    // potentials u (rows), v (columns), way: the classic e-maxx formulation, 1-based
    var u = [Double](repeating: 0, count: n + 1), v = u
    var p = [Int](repeating: 0, count: n + 1), way = p
    for i in 1...n {
        p[0] = i
        var j0 = 0
        var minv = [Double](repeating: .infinity, count: n + 1)
        var used = [Bool](repeating: false, count: n + 1)
        repeat {
            used[j0] = true
            let i0 = p[j0]
            var delta = Double.infinity, j1 = 0
            for j in 1...n where !used[j] {
                let cur = cost[i0 - 1][j - 1] - u[i0] - v[j]
                if cur < minv[j] { minv[j] = cur; way[j] = j0 }
                if minv[j] < delta { delta = minv[j]; j1 = j }
            }
            for j in 0...n {
                if used[j] { u[p[j]] += delta; v[j] -= delta } else { minv[j] -= delta }
            }
            j0 = j1
        } while p[j0] != 0
        repeat {
            let j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1
        } while j0 != 0
    }
    var assignment = [Int](repeating: 0, count: n)
    for j in 1...n where p[j] > 0 { assignment[p[j] - 1] = j - 1 }
    return assignment
}
