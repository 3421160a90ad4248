namespace LatentLens.Api.Recommender.Algorithms;

/// <summary>Hyper-parameters as the command line gives them; null means the algorithm's default.</summary>
internal sealed record AlgorithmSettings(
    string Algorithm, int? Factors = null, int? Epochs = null, double? LearningRate = null, double? Regularization = null, int Seed = 0,
    int? Samples = null, int? BurnIn = null, int? Thin = null, bool? Implicit = null, bool? ItemImplicit = null, double? Alpha = null, bool? ScaleRegularization = null,
    bool? Binary = null, int? Neighbours = null);
