import Foundation
import Neuron
import NeuronData
import NeuronModels
import NeuronNN
import NeuronTrain
import NeuronViz

/// One-step-ahead forecasting of a univariate series (default: yearly sunspot numbers) with an
/// LSTM over the previous `--window` values. The last `--test-size` values are held out; the
/// last 15 % of the training windows validate. Reports test RMSE next to the naive
/// (last value) and seasonal naive (value one season back) forecasts and plots the forecast.
let forecasterRecipe = TaskRecipe(
    family: .forecaster, summary: "one-step-ahead time-series forecaster (statsmodels' sunspots or a CSV)",
    specs: [
        .init(name: "csv", value: "FILE", help: "a CSV file holding the series (default: statsmodels' yearly sunspots)"),
        .init(name: "column", value: "NAME", help: "the CSV column of the series (default: the last column)"),
        .init(name: "window", value: "W", help: "past values per forecast (default 24)"),
        .init(name: "season", value: "S", help: "season length of the seasonal naive forecast (default 11)"),
        .init(name: "test-size", value: "N", help: "held-out values at the end of the series (default 20 %)"),
    ], run: trainForecaster)

func trainForecaster(_ run: TrainRun) {
    let (options, settings) = (run.options, run.settings)
    let window = options.int("window", default: 24), season = options.int("season", default: 11)
    let hidden = run.int("hidden"), layers = run.int("layers")
    installInterruptHandler()
    do {
        try makeDirectories(settings.out)
        let series =
            try options.string("csv").map { try TimeSeries.load(csv: $0, column: options.string("column")) }
            ?? TimeSeries.sunspots()
        let count = series.values.count
        let testSize = options.int("test-size", default: count / 5)
        let trainEnd = count - testSize
        guard trainEnd - window >= 10, testSize > 0, season < trainEnd else {
            throw DataError("the series has \(count) values: too few for a window of \(window), season \(season) and \(testSize) test values")
        }
        // Standardise with the training part's statistics only.
        let trainValues = series.values[..<trainEnd]
        let mean = trainValues.reduce(0, +) / Double(trainEnd)
        let std = max((trainValues.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(trainEnd)).squareRoot(), 1e-12)
        let scaled = series.values.map { ($0 - mean) / std }
        let validationStart = trainEnd - max((trainEnd - window) * 15 / 100, 1)
        let train = TimeSeries.windows(scaled, window: window, targets: window..<validationStart)
        let validation = TimeSeries.windows(scaled, window: window, targets: validationStart..<trainEnd)
        let test = TimeSeries.windows(scaled, window: window, targets: trainEnd..<count)
        print(
            "series '\(series.name)': \(count) values; \(train.count) training windows of \(window), \(validation.count) validation, \(test.count) test"
        )
        Random.seed(UInt64(settings.seed))
        let model = try ModelRegistry.network(run.model, run.config.values)
        let metadata = [
            "window": "\(window)", "mean": "\(mean)", "std": "\(std)", "hidden": "\(hidden)", "layers": "\(layers)",
            "loss": "mean squared error (standardised)",
        ]
        _ = try runFit(
            settings, model: model, loss: { mseLoss($0, $1) }, metrics: [], monitor: ("val_loss", .min),
            train: DataLoader(train, batchSize: settings.batchSize, shuffle: true, seed: UInt64(settings.seed)),
            validation: DataLoader(validation, batchSize: 256), metadata: metadata)
        model.eval()
        let forecast = noGrad { model(test.inputs.to(model.device)) }.toArray(Double.self).map { $0 * std + mean }
        let truth = Array(series.values[trainEnd...])
        let naive = Array(series.values[(trainEnd - 1)..<(count - 1)])
        let seasonal = Array(series.values[(trainEnd - season)..<(count - season)])
        func rmse(_ predicted: [Double]) -> Double {
            (zip(predicted, truth).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Double(truth.count)).squareRoot()
        }
        let labels = Array(series.labels[trainEnd...])
        let chart = Plot.Chart(
            title: "\(series.name): one-step-ahead forecast on the held-out tail", xLabel: series.labelName.lowercased(), yLabel: series.name,
            series: [
                Plot.Series("truth", xs: labels, ys: truth), Plot.Series("LSTM forecast", xs: labels, ys: forecast),
                Plot.Series("naive (last value)", xs: labels, ys: naive),
            ])
        if isMainProcess {
            try Plot.write([chart], to: "\(settings.out)/forecast.png", panelWidth: 760)
            let table = CSV.format(
                header: [series.labelName, "truth", "forecast", "naive", "seasonal_naive"],
                rows: truth.indices.map { i in [labels[i], truth[i], forecast[i], naive[i], seasonal[i]].map { "\($0)" } })
            try Array(table.utf8).withUnsafeBytes { try writeFileAtomically("\(settings.out)/forecast.csv", [$0]) }
        }
        print("wrote \(settings.out)/model.safetensors, forecast.png, forecast.csv, metrics.csv, curves.png, tb/")
        print(
            "test_rmse=\(formatFixed(rmse(forecast), 3)) naive_rmse=\(formatFixed(rmse(naive), 3)) seasonal_naive_rmse=\(formatFixed(rmse(seasonal), 3)) (season \(season))"
        )
    } catch {
        fail("train: \(error)")
    }
}
