BLASEnvironment.ensureCoreType()
DDP.main()
