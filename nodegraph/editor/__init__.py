"""The node editor: a DearPyGui patching surface over the engine's edits.

The only package that imports dearpygui. It keeps no graph state of its own: it
draws ``engine.graph``, changes the patch only through engine edits
(``nodegraph.edits``), and reads live state from the running graph. Modules:

- :mod:`.app` the window, its loop and threads; :func:`edit` (``nodegraph edit``)
- :mod:`.actions` the actions (what menus, keys, widgets and tests call)
- :mod:`.worker` the engine thread the GUI submits blocking engine calls to
- :mod:`.canvas` the node editor; :mod:`.widgets` param widgets from schemas
- :mod:`.panel` the performance panel; :mod:`.latent_map` the latent map
- :mod:`.files` save / open / recent / unsaved prompt; :mod:`.shortcuts` keys
- :mod:`.palette` add-node box; :mod:`.menus`, :mod:`.status`, :mod:`.theme`
- :mod:`.previews` frame textures; :mod:`.readouts`, :mod:`.clipboard` (pure helpers)

See docs/editor.md.
"""
