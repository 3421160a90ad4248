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
        // Other tests train at the same time, in this process: everything of this training is in the trace of this
        // root, spans by their trace id and metric points by the span current where they were recorded.
        using var root = new Activity("telemetry-test").Start();
        var trace = root.TraceId;
        bool Ours() => Activity.Current?.TraceId == trace;
        var spans = new System.Collections.Concurrent.ConcurrentQueue<Activity>();
        var rmse = new System.Collections.Concurrent.ConcurrentQueue<(double Value, string Fold)>();
        long epochs = 0;
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == TrainingTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = span =>
            {
                if (span.TraceId == trace)
                {
                    spans.Enqueue(span);
                }
            },
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
        meters.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            if (Ours())
            {
                rmse.Enqueue((value, Tag(tags, "latentlens.fold")));
            }
        });
        meters.SetMeasurementEventCallback<long>((_, value, _, _) =>
        {
            if (Ours())
            {
                Interlocked.Add(ref epochs, value);
            }
        });
        meters.Start();
        var data = TestData.SyntheticWithTitles();

        TrainingPipeline.Run(null, new TrainingRequest
        {
            Data = new TrainingData(data, Splits.KFold(data.Ratings, 2, seed: 0), "2-fold"),
            Grid = new ParameterGrid(["funksvd"], [8], [3, 4], [], [], 0),
            Track = false,
        });

        var train = Assert.Single(spans, s => s.OperationName == "train");
        Assert.Equal(root.SpanId, train.ParentSpanId);
        Assert.Equal("2-fold", train.GetTagItem("latentlens.splits"));
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

        // Two folds of each configuration, 3 and 4 epochs: one count and one train-RMSE point per epoch.
        Assert.Equal(2 * (3 + 4), Interlocked.Read(ref epochs));
        Assert.Equal(2 * (3 + 4), rmse.Count);
        Assert.All(rmse, point => Assert.True(point.Value is > 0 and < 2 && point.Fold.Length > 0, $"{point}"));
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
