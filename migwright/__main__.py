from migwright.agent.cli import main

main()
