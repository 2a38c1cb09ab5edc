"""The segmentation bundle's tiny CPU profile for tests (3 mm pixels, a 32 px window, a 2-level UNet)."""

TINY = {
    "pixel_mm": 3.0,
    "window_size": 32,
    "crop_size": 24,
    "channels": "[4, 8]",
    "strides": "[2]",
    "num_res_units": 1,
    "batch_size": 8,
    "n_folds": 3,
    "val_interval": 1,
}
