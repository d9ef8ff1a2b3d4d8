// Every experiment the report runs, in the report's order. Adding a section means adding one line here.
//
// `smoke` holds the same experiments at a few hundred steps on small grids, one seed each: a check that the whole
// pipeline runs end to end in seconds (tests, `PAPER_SMOKE=1`). Its numbers mean nothing and it never writes into the
// repository (the CLI refuses).

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
        AnyExperiment(ScalingLaws()),
        AnyExperiment(SparseBasis()),
        AnyExperiment(VSAPrimitives()),
    ]

    public static let smoke: [AnyExperiment] = {
        let quick = TrainingRecipe(steps: 150, batch: 64, logEvery: 50)
        var intro = IntroConfig()
        intro.recipe = quick; intro.restarts = 2; intro.sweepDensities = [1, 0.3]; intro.evalSamples = 1024
        var b20 = BasicConfig.n20, b80 = BasicConfig.n80
        b20.recipe = quick; b20.restarts = 1; b20.evalSamples = 1024
        b80.recipe = TrainingRecipe(steps: 8, batch: 64, logEvery: 4); b80.evalSamples = 256
        var math = Mathematics()
        math.config.recipe = quick; math.config.gaussianSamples = 4096; math.config.directSamples = 4096
        math.config.quadratureBudget = 1 << 10; math.config.oneSparseSamples = 1024
        func phase(_ base: PhaseConfig) -> PhaseConfig {
            var p = base
            p.importances = [0.1, 1, 10]; p.densities = [1, 0.1, 0.01]; p.restarts = 1; p.recipe = quick
            p.evalSamples = 512; p.theoryGrid = 20; p.prototypeSamples = 4096
            return p
        }
        var confused = ConfusedFeature()
        confused.config.recipe = quick; confused.config.restarts = 2; confused.config.landscapeGrid = 9
        confused.config.landscapeSamples = 256; confused.config.evalSamples = 1024
        var privileged = PrivilegedBasis()
        privileged.config.recipe = quick; privileged.config.restarts = 5; privileged.config.evalSamples = 512; privileged.config.hiddenBiasRestarts = 2
        var adversarial = AdversarialRobustness()
        adversarial.config.recipe = quick; adversarial.config.restarts = 1; adversarial.config.evalSamples = 256
        adversarial.config.inverseDensities = [1, 4, 10]
        adversarial.config.trainingAttacks = [0, 0.8]
        var absolute = ComputationInSuperposition()
        absolute.config.recipe = TrainingRecipe(steps: 30, batch: 64, logEvery: 10); absolute.config.evalSamples = 200
        absolute.config.n = 20; absolute.config.m = 8; absolute.config.denseRestarts = 2
        absolute.config.kRecipe = TrainingRecipe(steps: 30, batch: 64, lr: 0.01, weightDecay: 0.1, logEvery: 10, cosine: true)
        var motif = AsymmetricMotif()
        motif.config.recipe = TrainingRecipe(steps: 40, batch: 64, logEvery: 10); motif.config.slowRecipe = motif.config.recipe; motif.config.restarts = 2; motif.config.evalSamples = 200
        var l1 = L1Regularisation()
        l1.config.recipe = quick; l1.config.restarts = 2; l1.config.evalSamples = 512; l1.config.lambdas = [0, 0.01, 1]; l1.config.warmRecipe = quick
        var nonlinear = NonlinearCompression()
        nonlinear.config.grid = 50
        var uniform = UniformSuperposition()
        uniform.config.n = 24; uniform.config.m = 4; uniform.config.smallerN = 12; uniform.config.largerM = 8
        uniform.config.inverseDensities = [1, 1.5, 3, 10]; uniform.config.recipe = quick
        var polytopes = Polytopes()
        polytopes.config.relativeDensities = [0.1, 1, 10]; polytopes.config.restarts = 1; polytopes.config.uniformRestarts = 1
        polytopes.config.recipe = quick; polytopes.config.evalSamples = 1024
        var correlated = CorrelatedFeatures()
        correlated.config.restarts = 1; correlated.config.recipe = quick; correlated.config.evalSamples = 1024
        var dynamics = LearningDynamics()
        dynamics.config.n = 12; dynamics.config.m = 3; dynamics.config.seeds = 2; dynamics.config.recipe = quick
        dynamics.config.checkpoints = 6; dynamics.config.evalSamples = 1024
        dynamics.config.correlatedSeeds = 1; dynamics.config.correlatedRecipe = quick
        var dense = DensePhase()
        dense.config.shapes = [[136, 16]]
        dense.config.recipe = LargeRecipe(steps: 60, batch: 64, lr: 3e-3, warmup: 10, logEvery: 20)
        dense.config.largeRecipe = dense.config.recipe; dense.config.evalSamples = 512
        var scaling = ScalingLaws()
        scaling.config.n = 128; scaling.config.ms = [8, 16]; scaling.config.evalSamples = 512
        scaling.config.recipe = LargeRecipe(steps: 60, batch: 64, lr: 1e-2, warmup: 10, logEvery: 20)
        var sparse = SparseBasis()
        sparse.config.n = 128; sparse.config.m = 16; sparse.config.lambdas = [0, 0.1]; sparse.config.evalSamples = 512
        sparse.config.recipe = LargeRecipe(steps: 60, batch: 64, lr: 3e-3, warmup: 10, logEvery: 20)
        var vsa = VSAPrimitives()
        vsa.config.dims = [64, 128]; vsa.config.trials = 20; vsa.config.memoryTests = 20; vsa.config.codebook = 32; vsa.config.mlpSteps = 30; vsa.config.productD = 4; vsa.config.mlpBatch = 16
        vsa.config.widths = [2, 4]; vsa.config.mlpSeeds = 2; vsa.config.memoryD = 128; vsa.config.pairs = [2, 8]; vsa.config.memoryCodebook = 32
        return [
            AnyExperiment(Intro(config: intro), seeds: 1),
            AnyExperiment(BasicResults(id: "basic20", config: b20), seeds: 1),
            AnyExperiment(BasicResults(id: "basic80", config: b80), seeds: 1),
            AnyExperiment(math, seeds: 1),
            AnyExperiment(PhaseChange(id: "phase2", config: phase(.n2)), seeds: 1),
            AnyExperiment(PhaseChange(id: "phase3", config: phase(.n3)), seeds: 1),
            AnyExperiment(confused, seeds: 1),
            AnyExperiment(uniform, seeds: 1),
            AnyExperiment(polytopes, seeds: 1),
            AnyExperiment(correlated, seeds: 1),
            AnyExperiment(dynamics, seeds: 1),
            AnyExperiment(adversarial, seeds: 1),
            AnyExperiment(privileged, seeds: 1),
            AnyExperiment(absolute, seeds: 1),
            AnyExperiment(motif, seeds: 1),
            AnyExperiment(l1, seeds: 1),
            AnyExperiment(nonlinear, seeds: 1),
            AnyExperiment(dense, seeds: 1),
            AnyExperiment(scaling, seeds: 1),
            AnyExperiment(sparse, seeds: 1),
            AnyExperiment(vsa, seeds: 1),
        ]
    }()
}
