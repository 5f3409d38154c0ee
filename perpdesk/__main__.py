from perpdesk.cli import main

main()
