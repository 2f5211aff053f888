"""Training load from run logs: weekly distance, progression, single-run spikes, ACWR,
monotony and strain, shoe mileage, surfaces and model-ready exposures."""
