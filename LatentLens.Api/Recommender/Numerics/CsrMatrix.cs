using System.Runtime.CompilerServices;

namespace LatentLens.Api.Recommender.Numerics;

/// <summary>A sparse matrix in compressed rows: row r holds <c>Values[RowStart[r]..RowStart[r + 1]]</c> at <c>Columns[...]</c>.</summary>
internal sealed class CsrMatrix
{
    public CsrMatrix(int rows, int columns, int[] rowStart, int[] column, double[] values)
    {
        ArgumentNullException.ThrowIfNull(rowStart);
        ArgumentNullException.ThrowIfNull(column);
        ArgumentNullException.ThrowIfNull(values);
        if (rowStart.Length != rows + 1 || column.Length != values.Length || rowStart[rows] != values.Length)
        {
            throw new ArgumentException("Row offsets, columns and values do not describe one matrix.");
        }

        Rows = rows;
        ColumnCount = columns;
        RowStart = rowStart;
        Column = column;
        Values = values;
    }

    public int Rows { get; }

    public int ColumnCount { get; }

    public int[] RowStart { get; }

    public int[] Column { get; }

    public double[] Values { get; }

    /// <summary>The matrix of the entries (row[k], column[k], value[k]); entries of one cell must not repeat.</summary>
    public static CsrMatrix FromEntries(int rows, int columns, ReadOnlySpan<int> row, ReadOnlySpan<int> column, ReadOnlySpan<double> value)
    {
        if (row.Length != column.Length || row.Length != value.Length)
        {
            throw new ArgumentException("Entry arrays must have the same length.");
        }

        // Entries keep their order within a row.
        var byRow = RowIndex.Build(row, rows);
        return new CsrMatrix(rows, columns, byRow.Starts, byRow.Arrange(column), byRow.Arrange(value));
    }

    /// <summary>The transpose, in compressed rows too (the columns of this one).</summary>
    public CsrMatrix Transpose()
    {
        var rowOf = new int[Values.Length];
        for (var r = 0; r < Rows; r++)
        {
            rowOf.AsSpan(RowStart[r], RowStart[r + 1] - RowStart[r]).Fill(r);
        }

        return FromEntries(ColumnCount, Rows, Column, rowOf, Values);
    }

    /// <summary>
    /// <paramref name="result"/> (Rows × width) = this × <paramref name="dense"/> (ColumnCount × width), both row-major.
    /// Each result row is a sum of dense rows scaled by the row's entries, so rows are independent and
    /// computed in parallel blocks; every row is summed in entry order, so the result does not depend on the scheduling.
    /// </summary>
    public void Multiply(double[] dense, int width, double[] result)
    {
        ArgumentNullException.ThrowIfNull(dense);
        ArgumentNullException.ThrowIfNull(result);
        if (dense.Length != ColumnCount * width || result.Length != Rows * width)
        {
            throw new ArgumentException("The dense matrices do not match the sparse one's shape.");
        }

        const int Block = 64;
        var blocks = (Rows + Block - 1) / Block;
        if (Environment.ProcessorCount == 1 || Values.Length * (long)width < 1_000_000)
        {
            MultiplyRows(0, Rows, dense, width, result);
            return;
        }

        Parallel.For(0, blocks, b => MultiplyRows(b * Block, Math.Min(Rows, (b + 1) * Block), dense, width, result));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void MultiplyRows(int from, int to, double[] dense, int width, double[] result)
    {
        for (var r = from; r < to; r++)
        {
            var target = result.AsSpan(r * width, width);
            target.Clear();
            for (var p = RowStart[r]; p < RowStart[r + 1]; p++)
            {
                DenseKernels.Axpy(dense.AsSpan(Column[p] * width, width), Values[p], target);
            }
        }
    }
}
