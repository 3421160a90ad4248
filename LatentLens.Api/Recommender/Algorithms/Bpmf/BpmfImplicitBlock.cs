namespace LatentLens.Api.Recommender.Algorithms;

/// <summary>
/// One implicit block: its owners' ratings (starts, partners, values), its members' owners (starts,
/// owners), the owners' own rows (k + 1 wide), implicit sums and norms c_o = |N(o)|^(-1/2), the
/// members' vectors, their hyper-parameters, and the step's buffers kept across sweeps.
/// </summary>
internal sealed class BpmfImplicitBlock(int id, int[] ownerStarts, int[] partners, float[] values, int[] memberStarts, int[] memberOwners,
    double[] own, double[] sums, double[] members, double[] norms, NormalWishartHyper hyper)
{
    public int Id { get; } = id;

    public int[] OwnerStarts { get; } = ownerStarts;

    public int[] Partners { get; } = partners;

    public float[] Values { get; } = values;

    public int[] MemberStarts { get; } = memberStarts;

    public int[] MemberOwners { get; } = memberOwners;

    public double[] Own { get; } = own;

    public double[] Sums { get; } = sums;

    public double[] Members { get; } = members;

    public double[] Norms { get; } = norms;

    public NormalWishartHyper Hyper { get; } = hyper;

    public double[]? Gram { get; set; }

    public double[]? Grad { get; set; }

    public double[]? MemberGram { get; set; }
}
