using System.Diagnostics;
using System.Diagnostics.Metrics;
using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Evaluation;

namespace LatentLens.Api.Training;

/// <summary>
/// Spans and metrics of a training, under one name (activity source and meter): a <c>train</c> span for
/// the whole run, an <c>evaluate</c> span per configuration, a <c>fold</c> span per fold with an
/// <c>epoch</c> event per epoch, a <c>record</c> span per recorded run; the metrics
/// <c>latentlens.training.epochs</c> (counter) and <c>latentlens.training.train_rmse</c> (gauge, the
/// running RMSE of the last epoch), tagged with the algorithm and the fold. Whoever runs a training
/// decides whether they are exported (the trainer exports them to the dashboard over OTLP).
/// </summary>
internal static class TrainingTelemetry
{
    public const string Name = "LatentLens.Training";

    public static readonly ActivitySource ActivitySource = new(Name);

    private static readonly Meter Meter = new(Name);

    private static readonly Counter<long> Epochs =
        Meter.CreateCounter<long>("latentlens.training.epochs", unit: "{epoch}", description: "Training epochs completed");

    private static readonly Gauge<double> TrainRmse =
        Meter.CreateGauge<double>("latentlens.training.train_rmse", description: "Running RMSE over the ratings of the last epoch, each rating's error taken before its update");

    /// <summary>Wraps <paramref name="inner"/> (may be null) so that folds become spans and epochs become events and metric points.</summary>
    public static Progress Observe(ITrainingProgress? inner) => new(inner);

    /// <summary>Forwards every call to the wrapped progress, recording the telemetry on the way.</summary>
    internal sealed class Progress(ITrainingProgress? inner) : ITrainingProgress
    {
        private Activity? _fold;

        /// <summary>The configuration being evaluated, tagged on the fold spans and the metric points.</summary>
        public string Algorithm { get; set; } = string.Empty;

        public void Message(string text) => inner?.Message(text);

        public void Evaluated(EvaluationResult result) => inner?.Evaluated(result);

        public void FoldStarted(string fold, int index, int count)
        {
            _fold?.Dispose();
            _fold = ActivitySource.StartActivity("fold");
            _fold?.SetTag("latentlens.algorithm", Algorithm).SetTag("latentlens.fold", fold).SetTag("latentlens.fold.index", index).SetTag("latentlens.fold.count", count);
            inner?.FoldStarted(fold, index, count);
        }

        public void Epoch(string fold, EpochReport report)
        {
            var tags = new TagList { { "latentlens.algorithm", Algorithm }, { "latentlens.fold", fold } };
            Epochs.Add(1, tags);
            if (double.IsFinite(report.TrainRmse))
            {
                TrainRmse.Record(report.TrainRmse, tags);
            }

            _fold?.AddEvent(new ActivityEvent("epoch", tags: new ActivityTagsCollection
            {
                ["epoch"] = report.Epoch,
                ["train_rmse"] = report.TrainRmse,
                ["elapsed_s"] = report.Elapsed.TotalSeconds,
            }));
            inner?.Epoch(fold, report);
        }

        public void FoldFinished(FoldResult result)
        {
            if (_fold is not null)
            {
                _fold.SetTag("latentlens.rmse", result.Rmse).SetTag("latentlens.mae", result.Mae).SetTag("latentlens.fit_s", result.FitSeconds);
                _fold.Dispose();
                _fold = null;
            }

            inner?.FoldFinished(result);
        }
    }
}
