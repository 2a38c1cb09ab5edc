"""cardio-monai: cardiac function (EDV, ESV, EF) from cine short-axis MRI, MONAI-native."""

__version__ = "0.1.0"
