// Every experiment the report runs, in the report's order. Adding a section means adding one line here.
//
// `smoke` holds the same experiments at a few hundred steps on small grids, one seed each (each experiment's `smoke`,
// at the end of its file): a check that the whole pipeline runs end to end in seconds (tests, `PAPER_SMOKE=1`). Its
// numbers mean nothing and it never writes into the repository (the CLI refuses).

import Engine

public enum Registry {
    public static let all: [AnyExperiment] = [
        AnyExperiment(Intro()),
        AnyExperiment(BasicResults(id: "basic20", config: .n20)),
        AnyExperiment(BasicResults(id: "basic80", config: .n80)),
        AnyExperiment(Mathematics()),
        AnyExperiment(PhaseChange(id: "phase2", config: .n2)),
        AnyExperiment(PhaseChange(id: "phase3", config: .n3)),
        AnyExperiment(ConfusedFeature()),
        AnyExperiment(UniformSuperposition()),
        AnyExperiment(UniformSuperposition(id: "uniform-notebook", config: .notebook, claimSuffix: "-O")),
        AnyExperiment(Polytopes()),
        AnyExperiment(CorrelatedFeatures()),
        AnyExperiment(LearningDynamics()),
        AnyExperiment(AdversarialRobustness()),
        AnyExperiment(PrivilegedBasis()),
        AnyExperiment(ComputationInSuperposition()),
        AnyExperiment(AsymmetricMotif()),
        AnyExperiment(L1Regularisation()),
        AnyExperiment(NonlinearCompression()),
        AnyExperiment(DensePhase()),
        AnyExperiment(DensePhase(id: "dense-large", config: .large, claimSuffix: "-L"), tier: .large),
        AnyExperiment(ScalingLaws()),
        AnyExperiment(SparseBasis()),
        AnyExperiment(VSAPrimitives()),
    ]

    /// Every experiment's smoke version (`Experiment.smoke`, in its own file), one seed each.
    public static let smoke: [AnyExperiment] = all.map(\.smoke)
}
