import ArgumentParser
import Foundation

BLASEnvironment.ensureCoreType()
CommandLineErrors.run(DDP.self)
