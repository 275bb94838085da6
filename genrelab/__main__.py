from genrelab.cli import main

raise SystemExit(main())
