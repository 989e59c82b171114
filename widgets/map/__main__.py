"""`python -m widgets.map`: the map demo with FAKE data."""

from widgets.map.demo import main

raise SystemExit(main())
