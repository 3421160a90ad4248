using System.Diagnostics;
using System.Diagnostics.Metrics;
using LatentLens.Api.Recommender.Evaluation;
using LatentLens.Api.Training;

namespace LatentLens.Tests.Training;

/// <summary>What a training sends to the dashboard: spans per run, configuration and fold, an event and metric points per epoch.</summary>
public sealed class TrainingTelemetryTests
{
    [Fact]
    public void ATrainingIsOneTrainSpanWithAnEvaluateSpanPerConfigurationAndAFoldSpanWithEpochEventsPerFold()
    {
        var spans = new System.Collections.Concurrent.ConcurrentQueue<Activity>();
        var rmse = new System.Collections.Concurrent.ConcurrentQueue<(double Value, string Fold)>();
        long epochs = 0;
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == TrainingTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == TrainingTelemetry.Name)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        meters.SetMeasurementEventCallback<double>((_, value, tags, _) => rmse.Enqueue((value, Tag(tags, "latentlens.fold"))));
        meters.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref epochs, value));
        meters.Start();
        var data = TestData.SyntheticWithTitles();

        TrainingPipeline.Run(null, new TrainingRequest
        {
            Data = new TrainingData(data, Splits.KFold(data.Ratings, 2, seed: 0), "2-fold"),
            Grid = new ParameterGrid(["funksvd"], [8], [3, 4], [], [], 0),
            Track = false,
        });

        // Other tests train at the same time: look only at this training's spans.
        var train = Assert.Single(spans, s => s.OperationName == "train" && Equals(s.GetTagItem("latentlens.splits"), "2-fold"));
        var evaluations = spans.Where(s => s.OperationName == "evaluate" && s.ParentSpanId == train.SpanId).ToList();
        Assert.Equal(["funksvd-f8-e3", "funksvd-f8-e4"], evaluations.Select(e => (string)e.GetTagItem("latentlens.algorithm")!).Order());
        foreach (var evaluation in evaluations)
        {
            var folds = spans.Where(s => s.OperationName == "fold" && s.ParentSpanId == evaluation.SpanId).ToList();
            Assert.Equal(2, folds.Count);
            var expectedEpochs = evaluation.GetTagItem("latentlens.algorithm") is "funksvd-f8-e3" ? 3 : 4;
            Assert.All(folds, fold =>
            {
                Assert.Equal(Enumerable.Range(1, expectedEpochs), fold.Events.Select(e => (int)e.Tags.Single(t => t.Key == "epoch").Value!));
                Assert.True((double)fold.GetTagItem("latentlens.rmse")! is > 0 and < 2);
            });
        }

        Assert.True(Interlocked.Read(ref epochs) >= 2 * (3 + 4));
        Assert.Contains(rmse, point => point.Value is > 0 and < 2 && point.Fold.Length > 0);
    }

    private static string Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string key)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == key)
            {
                return tag.Value as string ?? string.Empty;
            }
        }

        return string.Empty;
    }
}
