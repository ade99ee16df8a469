from leanagent.cli import main

main()
