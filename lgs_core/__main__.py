from lgs_core.cli import main

raise SystemExit(main())
