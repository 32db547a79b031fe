"""Pure text analytics of the feedback hub: no Django, no network.

- :mod:`.language` tells Chinese from English (and mixed) by the share of each script;
- :mod:`.segment` cuts Chinese into words with jieba and the retail/service dictionary shipped
  in ``data/``;
- :mod:`.sentiment` scores positive / neutral / negative with the linear model shipped in
  ``data/sentiment_model.npz`` (loaded on first use), plus negation and contrast rules;
- :mod:`.training` rebuilds that model from the labelled sources (scikit-learn; training only);
- :mod:`.evaluation` measures a labelled file: n, accuracy, macro-F1, confusion matrix.
"""
