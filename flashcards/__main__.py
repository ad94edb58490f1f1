from flashcards.cli import main

main()
