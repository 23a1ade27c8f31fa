from casectl.launch import main

main()
