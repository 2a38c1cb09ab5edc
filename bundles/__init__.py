"""The MONAI bundles that come with ``cardio_monai``, one folder each (``configs/``, ``models/``, ``docs/``).

This folder is installed as the package ``cardio_monai.bundles`` (``[tool.setuptools] package-dir`` in
``pyproject.toml``), so a wheel carries the bundles as package data and
:func:`cardio_monai.utils.bundle.default_bundle` finds them through the package, in a checkout and in
``site-packages`` alike. ``python -m cardio_monai.bundles [NAME]`` prints their folders.
"""
