// The command line: subcommands and options parse, and bad values are refused with a message naming them.
import Testing
@testable import PaperCLI

@Test func buildIsTheDefaultCommandAndTakesForceAndThreads() throws {
    let cmd = try Paper.parseAsRoot(["build", "--force", "--threads", "1", "--root", "."])
    let build = try #require(cmd as? Build)
    #expect(build.force && build.common.threads == 1)
}

/// The message the command line prints for `args`, or nil when they parse.
private func refusal(_ args: [String]) -> String? {
    do { _ = try Paper.parseAsRoot(args); return nil } catch { return Paper.message(for: error) }
}

@Test func runNeedsAnExperimentName() {
    let message = refusal(["run", "--root", "."])
    #expect(message?.contains("Missing expected argument '<experiment>'") == true, "\(message ?? "parsed")")
}

@Test func zeroThreadsIsRefusedWithItsValue() {
    do {
        _ = try Paper.parseAsRoot(["build", "--threads", "0", "--root", "."])
        Issue.record("expected an error")
    } catch {
        #expect(Paper.message(for: error).contains("--threads must be at least 1, got 0"))
    }
}

@Test func aMalformedOptionIsRefused() {
    let threads = refusal(["build", "--threads", "two"]), unknown = refusal(["bogus"])
    #expect(threads?.contains("'two'") == true && threads?.contains("--threads") == true, "\(threads ?? "parsed")")
    #expect(unknown?.contains("bogus") == true, "\(unknown ?? "parsed")")
}
