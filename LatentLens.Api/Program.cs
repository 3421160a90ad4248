using LatentLens.Api;
using LatentLens.Api.Cli;
using LatentLens.Api.Serving;
using Scalar.AspNetCore;

if (CliApp.IsCliInvocation(args))
{
    return await CliApp.RunAsync(args);
}

// Settings files come with the program; relative paths in them (./mlruns) resolve against the working directory.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

builder.UseDefaultUrl();
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
