using LatentLens.AppHost;
using LatentLens.AppHost.Api;
using LatentLens.AppHost.Compose;
using LatentLens.AppHost.Mlflow;
using LatentLens.AppHost.Trainer;

// The system diagram. By default (LatentLens:Topology=file) the original system: the API and the
// MLflow UI, both looking at one MLflow file store. With LatentLens:Topology=server: PostgreSQL, an
// MLflow tracking server (its own UI on 5000) and two API replicas that reach it over its REST API.
var builder = DistributedApplication.CreateBuilder(args);
var topology = Topology.FromConfiguration(builder.Configuration);
var mlruns = builder.MlrunsFolder;

// Port 8000: the one process itself, or Aspire's proxy in front of the replicas.
var api = builder.AddApi("api", builder.RepositoryFolder, proxied: topology == Topology.Server);

IResourceBuilder<ContainerResource>? trackingServer = null;
if (topology == Topology.File)
{
    // The UI mounts the store; the API is told where it is (and mounts it when published).
    api.WithMlrunsStore(mlruns);
    builder.AddMlflowUiForStore("mlflow-ui", mlruns);
}
else
{
    trackingServer = builder.AddMlflowTrackingServer("mlflow", Path.Combine(builder.RepositoryFolder, "deploy", "mlflow-server"));
    api.WithReplicas(2)
        .WithTrackingServer(trackingServer);
}

if (builder.ExecutionContext.IsRunMode)
{
    // Training runs in a process of its own, started from the dashboard (its start button or the
    // API's "Train new model"), never inside the API: it would take the cores that serve requests.
    var trainer = builder.AddTrainer("trainer", mlruns, trackingServer);
    api.WithAdminEndpoints()
        .WithStartTrainerCommand(trainer);
}

builder.AddComposePublishing();

builder.Build().Run();
