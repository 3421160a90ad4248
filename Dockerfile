# LatentLens.Api only: the app host's orchestration packages are not restored or shipped.
# Built by `docker compose up --build` (docker-compose.yml: `build: .`).

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY LatentLens.ServiceDefaults/LatentLens.ServiceDefaults.csproj LatentLens.ServiceDefaults/
COPY LatentLens.Api/LatentLens.Api.csproj LatentLens.Api/
# ReadyToRun (precompiled code, less JIT at start: docs/benchmarks.md §14) for the build machine's platform;
# the restore fetches its runtime and crossgen packs.
RUN dotnet restore LatentLens.Api/LatentLens.Api.csproj -p:PublishReadyToRun=true
COPY LatentLens.ServiceDefaults/ LatentLens.ServiceDefaults/
COPY LatentLens.Api/ LatentLens.Api/
RUN dotnet publish LatentLens.Api/LatentLens.Api.csproj --no-restore -c Release -o /app/publish -p:UseAppHost=false -p:PublishReadyToRun=true

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS final
WORKDIR /app
COPY --from=build /app/publish .
ENV ASPNETCORE_HTTP_PORTS=8000
ENV LatentLens__MlrunsPath=/app/mlruns
EXPOSE 8000
# The non-root user the .NET images define (APP_UID=1654).
USER $APP_UID
ENTRYPOINT ["dotnet", "LatentLens.Api.dll"]
