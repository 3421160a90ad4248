using LatentLens.Api;
using LatentLens.Api.Cli;
using LatentLens.Api.Serving;
using Scalar.AspNetCore;

if (CliApp.IsCliInvocation(args))
{
    return await CliApp.RunAsync(args);
}

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults(LatentLensTelemetry.Name);
builder.AddRecommender();
builder.Services.AddProblemDetails();
builder.Services.AddOpenApi();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();

app.MapOpenApi();
app.MapScalarApiReference();
app.MapDefaultEndpoints();
app.MapRecommenderApis();

await app.RunAsync();
return 0;
