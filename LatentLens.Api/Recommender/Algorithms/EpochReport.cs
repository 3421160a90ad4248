namespace LatentLens.Api.Recommender.Algorithms;

/// <summary>What training reports after each epoch: the epoch (1-based), the train RMSE and the time since training began.</summary>
/// <param name="Epoch">The epoch, 1-based.</param>
/// <param name="TrainRmse">
/// For SGD (FunkSvd, SVD++): the running RMSE over the epoch, as LIBMF reports it: each rating's error is taken
/// during the SGD pass, before that rating's update, so it costs no second pass over the ratings (the
/// model at the epoch's end would score slightly lower). Other algorithms: the RMSE of their fit at the epoch's end
/// (PureSVD: of the reconstructed entries; implicit ALS: its own loss, see the algorithm).
/// </param>
/// <param name="Elapsed">The time since training began.</param>
internal readonly record struct EpochReport(int Epoch, double TrainRmse, TimeSpan Elapsed)
{
    /// <summary>
    /// The RMSE on the test ratings given to the fit, where the algorithm measures it (bpmf: of the running
    /// posterior mean, per sample); NaN otherwise.
    /// </summary>
    public double TestRmse { get; init; } = double.NaN;
}
