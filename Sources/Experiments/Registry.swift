// Every experiment the report runs, in the report's order. Adding a section means adding one line here.

public enum Registry {
    public static let all: [AnyExperiment] = [
        AnyExperiment(Intro()),
        AnyExperiment(BasicResults(id: "basic20", config: .n20)),
        AnyExperiment(BasicResults(id: "basic80", config: .n80)),
        AnyExperiment(Mathematics()),
        AnyExperiment(PhaseChange(id: "phase2", config: .n2)),
        AnyExperiment(PhaseChange(id: "phase3", config: .n3)),
        AnyExperiment(ConfusedFeature()),
    ]
}
