"""The app's library, in MONAI Label's layout: :mod:`.cine` measures a cine with the project's readers
(no monailabel import), :mod:`.infers` holds the infer task and :mod:`.endpoints` the request check."""
