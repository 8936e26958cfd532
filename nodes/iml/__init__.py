"""Interactive machine learning machinery behind the normalize, regress, smooth and
latent-explorer nodes (a helper package: the registry does not scan it).

- :mod:`.flucoma`: FluCoMa JSON formats (DataSet, MLP) and their validation;
- :mod:`.scalers`: min-max, standard and robust scaling, saved as FluCoMa JSON;
- :mod:`.mlp`: the numpy forward pass of a trained network (FluCoMa MLP layers);
- :mod:`.algorithms`: the regression algorithms (fit with scikit-learn, predict with numpy);
- :mod:`.training`: the background training thread (progress, cancel, NaN rollback);
- :mod:`.dataset`: recorded examples, journaled to disk as they arrive;
- :mod:`.filters`: one-euro, exponential moving average and slew limiting;
- :mod:`.sound`: candidate latent points from an audio file, through a model's ``encode``.
"""
