import ArgumentParser
import Experiments
import Foundation
import Reports
import Training

CommandLineErrors.refuseArgumentsNotUTF8()
BLASEnvironment.ensureCoreType()
CommandLineErrors.run(DDP.self)
