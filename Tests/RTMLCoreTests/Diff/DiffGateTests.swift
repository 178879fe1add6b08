import Foundation
import Testing
@testable import RTMLCore

@Suite struct DiffGateTests {
    @Test func parsesTheForms() throws {
        let g = try DiffGate("features.steps_mean_10m:ks >= 0.1")
        #expect(g.table == "features" && g.column == "steps_mean_10m" && g.metric == "ks" && g.op == .ge && g.limit == 0.1)
        let p = try DiffGate("changed_rows>1%")
        #expect(p.percent && p.limit == 0.01 && p.op == .gt && p.table == nil)
        #expect(try DiffGate("remapped_users>0").metric == "remapped_users")
    }

    @Test func refusesWhatItCannotCheck() {
        for bad in ["psi", "psi>abc", "speed>1", "features:remapped_users>0", ":psi>1", "features.x:only_in_a>0"] {
            let error = rtmlError { _ = try DiffGate(bad) }
            #expect(error?.status == .usage, "\(bad)")
            #expect(error?.message.contains("--fail-on") == true, "\(bad)")
        }
    }

    private func report() -> DiffReport {
        var r = DiffReport(pathA: "a", pathB: "b")
        var t = TableDiff(name: "features", keyColumns: ["user_id"])
        t.changed = 3; t.same = 97
        var c = ColumnDiff(name: "x", kind: .numeric)
        c.changed = 3; c.paired = 100
        var d = Drift(); d.psi = 0.31; d.ks = 0.05
        c.drift = d
        var quiet = ColumnDiff(name: "y", kind: .numeric)
        var dq = Drift(); dq.psi = 0.01
        quiet.drift = dq
        t.columns = [c, quiet]
        r.tables = [t]
        var s = SequenceDiff(); s.remappedUsers = 2; s.usersInBoth = 100
        r.sequences = s
        return r
    }

    @Test func theWorstValueDecides() throws {
        let r = report()
        let psi = try DiffGate("psi>0.2").evaluate(r)
        #expect(psi.tripped && psi.place == "features.x" && psi.value == 0.31)
        #expect(psi.sentence.contains("TRIPPED at features.x") && psi.sentence.contains("by 0.11"))
        #expect(try !DiffGate("features.y:psi>0.2").evaluate(r).tripped)
        #expect(try DiffGate("changed_rows>2%").evaluate(r).tripped)
        #expect(try !DiffGate("changed_rows>3%").evaluate(r).tripped)
        #expect(try DiffGate("changed_rows>=3").evaluate(r).tripped)
        #expect(try DiffGate("remapped_users>0").evaluate(r).tripped)
        #expect(try !DiffGate("remapped_users>5%").evaluate(r).tripped)
        #expect(try !DiffGate("schema_changes>0").evaluate(r).tripped)
    }
}
