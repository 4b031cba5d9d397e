from citycockpit.cli import main

main()
