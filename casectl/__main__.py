from casectl.cli import main

main()
