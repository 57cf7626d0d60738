from cloudc.cli import main

main()
