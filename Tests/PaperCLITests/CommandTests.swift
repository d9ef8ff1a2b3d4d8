// The command line: subcommands and options parse, and bad values are refused with a message naming them.
import Testing
@testable import PaperCLI

@Test func buildIsTheDefaultCommandAndTakesForceAndThreads() throws {
    let cmd = try Paper.parseAsRoot(["build", "--force", "--threads", "1", "--root", "."])
    let build = try #require(cmd as? Build)
    #expect(build.force && build.common.threads == 1)
}

@Test func runNeedsAnExperimentName() {
    #expect(throws: (any Error).self) { try Paper.parseAsRoot(["run", "--root", "."]) }
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
    #expect(throws: (any Error).self) { try Paper.parseAsRoot(["build", "--threads", "two"]) }
    #expect(throws: (any Error).self) { try Paper.parseAsRoot(["bogus"]) }
}
