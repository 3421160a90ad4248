using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace LatentLens.Api.Recommender.Algorithms;

/// <summary>
/// The threads of one parallel SGD fit: the calling thread and <c>threads − 1</c> started for the fit, in lock step.
/// Each epoch is a fixed number of phases; every thread runs its share of a phase, then all wait for each other
/// (a barrier) before the next, so what a phase reads was finished by the one before. After an epoch's last phase
/// the calling thread alone ends the epoch (sums the errors, reports, checks cancellation) while the others wait.
/// </summary>
/// <remarks>
/// Threads started per fit, not the thread pool: a fit of MovieLens 100K has 40–60 phases of under a millisecond,
/// and a pool work item can wait longer than that to start. The barrier spins (yielding to other threads) for a
/// short while, then sleeps: on as many threads as cores a phase ends within microseconds of the slowest block;
/// on more threads than cores the waiting threads give their cores up.
/// </remarks>
internal static class SgdWorkers
{
    /// <summary>
    /// Runs <paramref name="epochs"/> epochs of <paramref name="phases"/> phases on <paramref name="threads"/> threads:
    /// <paramref name="phase"/>(thread, epoch, phase) on every thread, then <paramref name="endEpoch"/>(epoch) on the
    /// calling thread. An exception on any thread stops all of them and is rethrown here.
    /// </summary>
    public static void Run(int threads, int epochs, int phases, Action<int, int, int> phase, Action<int> endEpoch)
    {
        ArgumentNullException.ThrowIfNull(phase);
        ArgumentNullException.ThrowIfNull(endEpoch);
        var barrier = new SpinBarrier(threads);
        ExceptionDispatchInfo? failure = null;

        void Loop(int thread)
        {
            try
            {
                for (var epoch = 1; epoch <= epochs; epoch++)
                {
                    for (var p = 0; p < phases; p++)
                    {
                        phase(thread, epoch, p);
                        if (!barrier.SignalAndWait())
                        {
                            return;
                        }
                    }

                    if (thread == 0)
                    {
                        endEpoch(epoch);
                    }

                    if (!barrier.SignalAndWait())
                    {
                        return;
                    }
                }
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref failure, ExceptionDispatchInfo.Capture(e), null);
                barrier.Stop();
            }
        }

        // Started inside the try: if a start fails, the threads already running are stopped and joined before the
        // caller's buffers (pooled: SgdBlocks, AlignedFloats) go back to their pools.
        var started = new List<Thread>(threads - 1);
        try
        {
            for (var t = 1; t < threads; t++)
            {
                var thread = t;
                var worker = new Thread(() => Loop(thread)) { IsBackground = true, Name = $"sgd-{thread}" };
                worker.Start();
                started.Add(worker);
            }

            Loop(0);
        }
        finally
        {
            barrier.Stop();
            foreach (var thread in started)
            {
                thread.Join();
            }
        }

        failure?.Throw();
    }

    /// <summary>A reusable barrier that spins briefly, then sleeps; <see cref="Stop"/> releases everyone for good.</summary>
    internal sealed class SpinBarrier(int participants)
    {
        /// <summary>How long a waiting thread spins before it sleeps: longer than a phase's usual imbalance.</summary>
        private static readonly TimeSpan SpinFor = TimeSpan.FromMilliseconds(1);

        private readonly object _gate = new();
        private readonly int _participants = participants;
        private int _remaining = participants;
        private int _generation;
        private int _sleepers;
        private volatile bool _stopped;

        /// <summary>Waits for every participant; false once the barrier is stopped.</summary>
        public bool SignalAndWait()
        {
            var generation = Volatile.Read(ref _generation);
            if (Interlocked.Decrement(ref _remaining) == 0)
            {
                // The reset happens before the generation moves, so no early arrival of the next round sees it undone.
                _remaining = _participants;
                Interlocked.Increment(ref _generation);
                if (Volatile.Read(ref _sleepers) > 0)
                {
                    lock (_gate)
                    {
                        Monitor.PulseAll(_gate);
                    }
                }

                return !_stopped;
            }

            var start = Stopwatch.GetTimestamp();
            var spin = default(SpinWait);
            while (Volatile.Read(ref _generation) == generation && !_stopped)
            {
                if (Stopwatch.GetElapsedTime(start) < SpinFor)
                {
                    spin.SpinOnce(sleep1Threshold: -1);
                    continue;
                }

                // Both sides use full fences (the increments): either the last arrival sees this sleeper, or this
                // thread sees the new generation before it waits.
                lock (_gate)
                {
                    Interlocked.Increment(ref _sleepers);
                    while (Volatile.Read(ref _generation) == generation && !_stopped)
                    {
                        Monitor.Wait(_gate, 10);
                    }

                    Interlocked.Decrement(ref _sleepers);
                }
            }

            return !_stopped;
        }

        public void Stop()
        {
            _stopped = true;
            lock (_gate)
            {
                Monitor.PulseAll(_gate);
            }
        }
    }
}
